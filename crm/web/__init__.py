"""HTTP: the blueprints. Each view parses the request, calls one service, renders; none commits."""
