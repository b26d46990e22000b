"""The web front: the Gradio chat at ``/``, the embeddable widget, the JSON API.

``webapp.server.create_app(settings, service)`` builds the one FastAPI app that
serves all of it; ``app.py`` runs it with uvicorn. Each module has one job so a
reviewer can check, say, the rate limit or the CSP without reading the UI.
"""
