"""HTTP: the blueprints. A view parses the request, calls a service, renders; none commits."""
