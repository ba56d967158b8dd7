"""The app as bench/board_load.py serves it under gunicorn: Fieldlab itself plus a minimal "hello"
endpoint on the same app and server, the yardstick the board's figures are divided by."""

from fieldlab import create_app

app = create_app()


@app.get("/bench/hello")
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
