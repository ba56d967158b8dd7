"""The yardstick of bench/pages.py: a bare Flask app, served by its own gunicorn like Fieldlab."""
from flask import Flask

app = Flask(__name__)
app.add_url_rule("/", "hello", lambda: "hello")
