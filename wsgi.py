"""Production entry point: `gunicorn wsgi:app` (and `flask --app wsgi`)."""

from dotenv import load_dotenv

from portal import create_app

load_dotenv()
app = create_app()
