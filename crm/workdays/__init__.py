"""China's working calendar: holidays and make-up workdays (调休) the team owns, seeded from the
chinese-calendar package, edited by admins or pasted from the State Council's notice."""
