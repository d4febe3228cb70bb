"""The bare baseline for bench/load_bench.py: a Flask app that only INSERTs one row.

    gunicorn -c gunicorn.conf.py --pythonpath bench 'baseline_app:create_app()'

Same stack as ours below the application code: Flask, Flask-SQLAlchemy 3 (SQLAlchemy 2
QueuePool, pool_pre_ping as in config.py) over psycopg 3, under the same gunicorn.conf.py.
No validation, no CSRF, no rate limit, no queue: one INSERT and a commit per request.
The table is made by the bench (`CREATE TABLE baseline_inquiry ...`).
"""
import json
import os

from flask import Flask, jsonify, redirect, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

db = SQLAlchemy()

_INSERT = text("INSERT INTO baseline_inquiry (mobile, body) VALUES (:mobile, :body) RETURNING id")


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)

    def insert(mobile: str, body: str) -> int:
        new_id = db.session.execute(_INSERT, {"mobile": mobile[:80], "body": body}).scalar_one()
        db.session.commit()
        return new_id

    @app.post("/api/v1/inquiries")
    def api():
        payload = request.get_json(silent=True) or {}
        new_id = insert(str(payload.get("mobile", "")), request.get_data(as_text=True))
        return jsonify({"id": new_id}), 201

    @app.post("/inquiry")
    def form():
        fields = request.form.to_dict()
        insert(fields.get("mobile", ""), json.dumps(fields, ensure_ascii=False))
        return redirect("/inquiry/thanks")

    @app.get("/health")
    def health():
        return "ok"

    return app
