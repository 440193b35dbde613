# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# No network here: Prefect's telemetry would only log a failed lookup.
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install demo test lint browser bench clean

install: $(VENV)/.installed

# torch first: the pinned CPU build is on the machine; an unpinned one pulls GBs of CUDA wheels.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test]"
	touch $@

demo: install
	$(VENV)/bin/rerankflow demo

lint: install
	$(VENV)/bin/ruff check .

# The HTML report test renders the page in headless Chromium (Debian's package; skipped without).
browser:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the report rendering test will be skipped"

test: lint browser
	$(PY) -m pytest -q -ra --durations=25

bench: install
	$(PY) benchmarks/pipeline_speed.py
	$(PY) benchmarks/metrics_speed.py

clean:
	rm -rf data/runs data/qdrant data/index
