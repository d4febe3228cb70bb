# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := crm:create_app

.PHONY: demo test install install-dev translations messages worker beat clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory translations

install-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory translations

translations:
	$(BIN)/pybabel -q compile -d crm/translations

## After adding UI strings: refresh the catalog, then translate the new entries in the .po
messages:
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o /tmp/changfang-messages.pot .
	$(BIN)/pybabel -q update -i /tmp/changfang-messages.pot -d crm/translations --no-fuzzy-matching

## Install, migrate a SQLite file, load demo data and serve on http://127.0.0.1:5000
demo: install
	$(BIN)/flask db upgrade
	$(BIN)/flask crm calendar seed
	$(BIN)/flask crm seed-demo --if-empty
	@echo
	@echo "  Changfang CRM:  http://$(HOST):$(PORT)/inquiry   (staff: http://$(HOST):$(PORT)/login)"
	@echo "  Demo logins:    admin@example.com, manager@example.com, agent1@example.com ... agent3@example.com; password demo1234"
	@echo "  Source site:    浙江厂房网 (embed snippet and API key under /manage/sites as admin)"
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Install; lint (ruff), type-check (mypy), check that imports run one way (.importlinter);
## then run the whole test suite (integration tests use local PostgreSQL and Redis)
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@# The unit tests share nothing (SQLite in each test's tmp_path, no server): one process
	@# per core. The integration and browser tests start servers on fixed ports: one at a time.
	$(BIN)/python -m pytest -n logical tests/unit
	$(BIN)/python -m pytest tests/integration tests/browser

worker:
	$(BIN)/celery -A workers worker -l INFO

beat:
	$(BIN)/celery -A workers beat -l INFO

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
