# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test install translations migrate demo lint bench messages clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile --use-fuzzy -d participation/translations -f

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

# Links in the messages (console backend: the server log) point at this server.
demo run: export PARTICIPATION_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)

# gunicorn, the outbox worker and the periodic jobs (every 60 s) together; Ctrl-C, or
# gunicorn ending, stops all three.
run: demo
	@echo "Serving on http://127.0.0.1:$(PORT) (demo password: demo-password); worker and periodic jobs beside it"
	@$(BIN)/flask jobs worker & pids=$$!; \
	$(BIN)/flask jobs loop & pids="$$pids $$!"; \
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --no-control-socket --access-logfile - wsgi:app & \
	server=$$!; pids="$$pids $$server"; \
	trap 'kill $$pids 2>/dev/null; wait' EXIT INT TERM; \
	wait $$server

test: install
	env -u PARTICIPATION_TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$PARTICIPATION_TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$PARTICIPATION_TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	fi

lint: install
	$(BIN)/ruff check .

# Extract the messages and merge them into the catalogues (run after changing texts).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o participation/translations/messages.pot .
	$(BIN)/pybabel update -i participation/translations/messages.pot -d participation/translations --no-fuzzy-matching --ignore-obsolete

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
