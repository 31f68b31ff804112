"""Start agp: ``python app.py`` (or ``agp serve``); ``gunicorn app:server`` for deployments."""
from agp_dash.web.app import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8050, debug=False)
