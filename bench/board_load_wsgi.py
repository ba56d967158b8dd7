"""The app as bench/board_load.py serves it under gunicorn: Fieldlab itself plus a minimal "hello"
endpoint on the same app and server, the yardstick the board's figures are divided by.

Under /zonder-fragmentopslag the same app runs with the fragment store off (FRAGMENT_CACHE_ENTRIES
= 0): what a board costs when every view renders it, as the first view after a change does."""

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from fieldlab import create_app

UNCACHED_PREFIX = "/zonder-fragmentopslag"

app = create_app()
uncached = create_app({"FRAGMENT_CACHE_ENTRIES": 0})
application = DispatcherMiddleware(app, {UNCACHED_PREFIX: uncached})


@app.get("/bench/hello")
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
