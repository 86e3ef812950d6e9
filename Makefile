# Entry points for the vpsorg.cloud collection: tool venvs, the quality gates, the demo and
# the benchmark report. `make test` is the command CI runs (.ci/run).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The tool venv runs ansible-core 2.21 on controller Python 3.13 or 3.12, the first found under
# $(pyenv root)/versions/ or on PATH (scripts/find_python.sh; PYTHON=/path/to/python3.12 overrides).
# A venv made by another interpreter is made again (scripts/make_venv.sh), never reused.
TOOL_PYTHONS := 3.13 3.12
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
IMPORTER_VENV := $(CURDIR)/.venvs/importer
# galaxy-importer's own pins (requirements/importer.txt) were checked on Python 3.11.
IMPORTER_PYTHONS := 3.11
CACHE := $(CURDIR)/.cache

# ansible-test and ansible need the collection at ansible_collections/vpsorg/cloud; the tree
# is a symlink to this checkout, kept inside it so two checkouts on one machine never re-point
# each other's link. The test harnesses read VPS_COLLECTIONS_ROOT.
COLLECTIONS_ROOT := $(CACHE)/collections
COLLECTION_DIR := $(COLLECTIONS_ROOT)/ansible_collections/vpsorg/cloud
export VPS_COLLECTIONS_ROOT := $(COLLECTIONS_ROOT)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_ROOT)

# Tools call each other by name (antsibull-docs runs ansible-doc, molecule runs ansible-playbook).
export PATH := $(BIN):$(PATH)
export PIP_CACHE_DIR ?= $(HOME)/.cache/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1
export MPLBACKEND := Agg

# ansible-test 2.21 bootstraps its venvs with get-pip 25.2 from a host CI cannot reach.
GET_PIP := $(HOME)/.ansible/test/cache/get_pip_25_2.py

SIMULATOR_PROJECT := $(wildcard simulator/pyproject.toml)
# The stamp names the interpreter the venv was made for: an older checkout's .venv (Python 3.11,
# stamp .installed) is never taken as up to date.
VENV_STAMP := $(VENV)/.installed-$(notdir $(or $(PYTHON),$(shell scripts/find_python.sh $(TOOL_PYTHONS) 2>/dev/null)))
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed

# Order matters: cheap static gates first so a broken change fails fast. `a+b` runs two gates at the
# same time (scripts/run_gates.sh): each pair is one that computes (ansible-test, pip) beside one
# that mostly waits (ansible runs against the simulator, the JVM, Chromium), so 2 cores stay busy.
GATES := ruff docs-current python-floor ansible-lint units sim-test sanity+integration compat-sanity+compat \
	integration-py39+eda molecule+galaxy docs-lint docs-site+controller changelog-lint ee-check

# all_skipped_fails (tests/pytest_plugins): a run whose every collected test skipped fails too.
PYTEST := PYTHONPATH=$(CURDIR)/tests/pytest_plugins $(BIN)/python -m pytest -p no:cacheprovider -p all_skipped_fails
# pytest exits 5 when it collected no tests: for these suites that is a failure, said plainly.
define run_pytest
$(PYTEST) $(1) || { rc=$$?; [ $$rc -ne 5 ] || echo "error: no tests collected from $(lastword $(1))" >&2; exit $$rc; }
endef

.PHONY: help venv importer-venv target-venv eda-venv controller-venv eda-measure compat-venvs compat-all compat-sanity collection-link test $(subst +, ,$(GATES)) lint \
	demo bench faults mutation python-floor clean docs docs-venv chromium release

help: ## this list: every target and what it is for
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z0-9-]*:.*## / { printf "  make %-17s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo "gates of make test, in this order: $(GATES)"

# --- environments ----------------------------------------------------------------------------

venv: $(VENV_STAMP) collection-link $(GET_PIP) ## the tool venv (.venv: ansible-core 2.21 on Python 3.13/3.12), the collection link, ansible-test's pip stand-in

$(VENV_STAMP): requirements/dev.txt requirements/constraints.txt $(SIMULATOR_PROJECT)
	scripts/make_venv.sh $(VENV) $(TOOL_PYTHONS)
	rm -f $(VENV)/.installed*
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
ifneq ($(SIMULATOR_PROJECT),)
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e simulator
else
	@echo "warning: simulator/pyproject.toml not found; vps-sim not installed" >&2
endif
	touch $@

importer-venv: $(IMPORTER_STAMP) ## galaxy-importer's own venv (.venvs/importer)

$(IMPORTER_STAMP): requirements/importer.txt
	PYTHON= scripts/make_venv.sh $(IMPORTER_VENV) $(IMPORTER_PYTHONS)
	$(IMPORTER_VENV)/bin/python -m pip install --quiet -r requirements/importer.txt
	touch $@

collection-link: ## ansible_collections/vpsorg/cloud in .cache points at this checkout
	mkdir -p $(dir $(COLLECTION_DIR))
	[ "$$(readlink $(COLLECTION_DIR) || true)" = "$(CURDIR)" ] || ln -sfn $(CURDIR) $(COLLECTION_DIR)

$(GET_PIP): scripts/get_pip_standin.py
	mkdir -p $(dir $@)
	cp $< $@

# --- the test command ------------------------------------------------------------------------

# Gates see no collections or roles installed by hand into ~/.ansible (a stale copy of this
# collection there would shadow the tree under test). ansible-test keeps its caches in
# ~/.ansible/test regardless.
$(subst +, ,$(GATES)) test: export ANSIBLE_HOME := $(CACHE)/ansible-home
# Every venv is made before the gates start (two gates side by side must not both make one).

test: venv importer-venv compat-venvs eda-venv controller-venv docs-venv target-venv ## every quality gate in order, with wall times (what CI runs)
	rm -rf $(CACHE)/ansible-home
	@scripts/run_gates.sh $(GATES)

lint: ruff ansible-lint ## ruff and ansible-lint

ruff: venv ## Python lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The measured pages say the commit and the code fingerprint they were measured on. A code change
# lands without measuring again (the page still names what it measured; a note says it is behind);
# this fails only when a page lacks that line or names a commit outside this checkout's history.
# Pages measured on the code a release ships are `make release`'s check.
docs-current: venv ## the measured pages name the commit and code fingerprint they measured (not that they are current)
	$(BIN)/python scripts/page_fingerprint.py check

# Cut galaxy.yml's version: changelog release + tarball, refused on stale pages or a dirty tree (scripts/release.py).
release: venv collection-link ## cut galaxy.yml's version: refuses stale pages or a dirty tree; changelog release and tarball
	$(BIN)/python scripts/release.py

ansible-lint: venv ## ansible-lint --profile production
	$(BIN)/ansible-lint --profile production

# ansible-test only accepts .../ansible_collections/NS/NAME and resolves symlinks in its working
# directory, so sanity runs on a real copy of the git-visible files (scripts/sync_tree.py), kept
# outside any git checkout (ansible-test would list files with the enclosing repo's git).
# The copy's place is derived from this checkout's path, so two checkouts never share it.
TMP_ROOT := $(or $(TMPDIR),/tmp)
CHECKOUT_ID := $(shell printf '%s' '$(CURDIR)' | sha256sum | cut -c1-12)
SANITY_DIR := $(TMP_ROOT)/vpsorg-cloud-sanity-$(CHECKOUT_ID)/ansible_collections/vpsorg/cloud

# The import and compile tests run once per Python below that ansible-core supports there (modules:
# tests/config.yml's 3.9+; controller plugins: 2.21's 3.12+); ansible-test finds each as pythonX.Y
# on PATH, so the directories scripts/find_python.sh finds go first (a missing one fails, named).
SANITY_PYTHONS := 3.9 3.10 3.11 3.12 3.13

sanity: venv $(GET_PIP) ## ansible-test sanity on the main line (modules on Python 3.9-3.13), no ignore file
	$(BIN)/python scripts/sync_tree.py . $(SANITY_DIR)
	path=""; for version in $(SANITY_PYTHONS); do \
		python=$$(scripts/find_python.sh $$version); path="$$path$$(dirname $$python):"; \
	done; \
	cd $(SANITY_DIR) && PATH="$$path$$PATH" $(BIN)/ansible-test sanity --venv --color no

units: venv ## the unit suite: the real client on the simulator in process, a fake clock
	$(call run_pytest,-n 2 tests/unit)

sim-test: venv ## the simulator's own tests
	$(call run_pytest,simulator/tests)

# Each test module starts its own simulator on a free port, so xdist workers do not collide. The
# runs mostly wait (provisioning delays, ansible's own start): 4 workers keep 2 cores busy (measured:
# 267 s wall, 402 s of CPU, against 366 s with 2 workers).
INTEGRATION_WORKERS := 4
integration: venv ## real ansible-playbook / ansible-inventory runs against the simulator
	$(call run_pytest,-n $(INTEGRATION_WORKERS) tests/integration)

# The module suites again with the modules run by a Python 3.9 venv that has requests (the floor
# tests/config.yml claims, RHEL 9's Python): create, update, power, delete, info and the fleet.
# vermin (python-floor) is the fast static check of the same claim.
TARGET_VENV := $(CURDIR)/.venvs/target-3.9
TARGET_TESTS := tests/integration/test_target_python.py tests/integration/test_vps_server.py \
	tests/integration/test_vps_server_info.py tests/integration/test_vps_server_power.py tests/integration/test_vps_fleet.py

target-venv: $(TARGET_VENV)/.installed ## the Python 3.9 venv the modules run on in integration-py39

$(TARGET_VENV)/.installed: requirements/target-py39.txt
	PYTHON= scripts/make_venv.sh $(TARGET_VENV) 3.9
	$(TARGET_VENV)/bin/python -m pip install --quiet -r requirements/target-py39.txt
	touch $@

integration-py39: venv $(TARGET_VENV)/.installed ## the module suites with the modules run by Python 3.9 (the claimed floor)
	VPS_TARGET_PYTHON=$(TARGET_VENV)/bin/python $(call run_pytest,-n $(INTEGRATION_WORKERS) $(TARGET_TESTS))

molecule: venv ## the molecule scenarios of the servers role
	$(BIN)/molecule test --all

galaxy: venv importer-venv ## build the collection tarball and run galaxy-importer on it
	rm -rf $(CACHE)/galaxy && mkdir -p $(CACHE)/galaxy
	$(BIN)/ansible-galaxy collection build --force --output-path $(CACHE)/galaxy .
	$(BIN)/python scripts/galaxy_import.py --importer $(IMPORTER_VENV)/bin/python \
		--config scripts/galaxy-importer.cfg $(CACHE)/galaxy/vpsorg-cloud-*.tar.gz

docs-lint: venv ## antsibull-docs lint of every plugin's documentation
	cd $(COLLECTION_DIR) && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck .

# --- documentation site ----------------------------------------------------------------------
# `make docs` builds the HTML site (scripts/docs_build.sh) in its own venv on Python 3.12 with
# ansible-core 2.21 (requirements/docs.txt, pinned by requirements/constraints-docs.txt), so it
# never meets the tool venv's pins. The docs-site gate then opens every page in Debian's Chromium
# (scripts/docs_check.py, Playwright; its own browser download is not reachable) and fails on a
# page problem or on any Sphinx warning. Screenshots land in .cache/docs/screenshots.
DOCS_VENV := $(CURDIR)/.venvs/docs
DOCS_STAMP := $(DOCS_VENV)/.installed
DOCS_PYTHON ?= $(lastword $(sort $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/3.12.*/bin/python3.12)))
DOCS_OUT := $(CACHE)/docs
CHROMIUM ?= /usr/bin/chromium

docs-venv: $(DOCS_STAMP) ## the docs site's venv (.venvs/docs)

$(DOCS_STAMP): requirements/docs.txt requirements/constraints-docs.txt
	@[ -n "$(DOCS_PYTHON)" ] || { echo "error: no Python 3.12 at \$$(pyenv root)/versions/3.12.*/bin/python3.12 (set DOCS_PYTHON)" >&2; exit 1; }
	[ -x $(DOCS_VENV)/bin/python ] || $(DOCS_PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/python -m pip install --quiet -r requirements/docs.txt -c requirements/constraints-docs.txt
	touch $@

docs: docs-venv collection-link ## build the HTML documentation site in .cache/docs/html
	scripts/docs_build.sh $(DOCS_VENV)/bin $(DOCS_OUT)

# Debian's chromium, installed once when missing (CI runs as root on a fresh machine).
chromium: ## Debian's chromium, installed with apt-get when missing
	@[ -x $(CHROMIUM) ] || { \
		[ "$$(id -u)" = 0 ] || { echo "error: $(CHROMIUM) missing: apt-get install chromium (as root)" >&2; exit 1; }; \
		echo "installing chromium with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

docs-site: docs chromium ## open every page of the built site in Chromium; fail on a page problem or a Sphinx warning
	rc=0; $(DOCS_VENV)/bin/python scripts/docs_check.py --site $(DOCS_OUT)/html --repo . --chromium $(CHROMIUM) \
		--screenshots $(DOCS_OUT)/screenshots || rc=$$?; \
	if [ -s $(DOCS_OUT)/sphinx-warnings.log ]; then \
		echo "docs-site: Sphinx warned:" >&2; cat $(DOCS_OUT)/sphinx-warnings.log >&2; rc=1; fi; \
	exit $$rc

changelog-lint: venv ## antsibull-changelog lint of the fragments
	$(BIN)/antsibull-changelog lint

# The collection's EE requirements, and the example execution / decision environments of
# docs/controller.md through ansible-builder create (no container engine needed).
EE_DEFINITIONS := docs/examples/controller/execution-environment.yml docs/examples/controller/decision-environment.yml

ee-check: venv ## the execution and decision environment definitions through ansible-builder
	$(BIN)/python scripts/ee_check.py --builder $(BIN)/ansible-builder --collections $(COLLECTIONS_ROOT) --expect requests \
		$(addprefix --definition ,$(EE_DEFINITIONS))

# --- Event-Driven Ansible --------------------------------------------------------------------

# ansible-rulebook runs in its own venv, as in a decision environment (requirements/eda.txt):
# its pins are independent of the dev tools'. It needs a Java 17 runtime on PATH.
EDA_VENV := $(CURDIR)/.venvs/eda
EDA_STAMP := $(EDA_VENV)/.installed

eda-venv: $(EDA_STAMP) ## ansible-rulebook's venv (.venvs/eda; needs Java 17)

$(EDA_STAMP): requirements/eda.txt
	@java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])' || \
		{ echo "error: ansible-rulebook needs a Java 17+ runtime on PATH (java -version)" >&2; exit 1; }
	scripts/make_venv.sh $(EDA_VENV) $(TOOL_PYTHONS)
	$(EDA_VENV)/bin/python -m pip install --quiet -r requirements/eda.txt
	touch $@

# The event source under the real ansible-rulebook against the simulator (tests/eda).
eda: venv eda-venv ## the event source under the real ansible-rulebook against the simulator
	VPS_EDA_BIN=$(EDA_VENV)/bin $(call run_pytest,tests/eda)

# Event latency and requests per poll, for docs/events.md.
eda-measure: venv eda-venv ## event latency and requests per poll of the event source, for docs/events.md
	VPS_EDA_BIN=$(EDA_VENV)/bin $(BIN)/python tests/eda/measure_events.py --interval 5 --servers 250 --changes 12

# --- automation controller (AWX / Automation Platform) ---------------------------------------

# What an execution environment runs (ansible-core 2.21 on Python 3.12) plus ansible-runner,
# ansible-navigator and ansible-builder, in its own venv (requirements/controller.txt, every
# version in requirements/constraints-controller.txt): independent of the dev tools' pins.
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null)
CONTROLLER_PYTHON ?= $(or $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.12.*/bin/python3.12))),python3.12)
CONTROLLER_VENV := $(CURDIR)/.venvs/controller
CONTROLLER_STAMP := $(CONTROLLER_VENV)/.installed

controller-venv: $(CONTROLLER_STAMP) ## ansible-runner / ansible-navigator / ansible-builder venv (.venvs/controller)

$(CONTROLLER_STAMP): requirements/controller.txt requirements/constraints-controller.txt
	@command -v $(CONTROLLER_PYTHON) >/dev/null || { echo "error: the controller venv needs Python 3.12 ($(CONTROLLER_PYTHON) not found; set CONTROLLER_PYTHON)" >&2; exit 1; }
	[ -x $(CONTROLLER_VENV)/bin/python ] || $(CONTROLLER_PYTHON) -m venv $(CONTROLLER_VENV)
	$(CONTROLLER_VENV)/bin/python -m pip install --quiet -r requirements/controller.txt -c requirements/constraints-controller.txt
	touch $@

# The credential type against the plugins' documented environment, inventory sources, jobs
# through ansible-runner, ansible-navigator, and execution / decision environments built with
# ansible-builder (tests/controller).
controller: venv controller-venv ## credential type, inventory sources, jobs and environments as automation controller runs them
	VPS_CONTROLLER_BIN=$(CONTROLLER_VENV)/bin $(call run_pytest,-n 2 tests/controller)

# --- ansible-core and Python compatibility ----------------------------------------------------
# meta/runtime.yml claims ansible-core >= 2.16; the tool venv runs the main line, 2.21 (units,
# integration, sanity, molecule, eda gates). The unit and integration suites run again in one venv
# per other minor (.venvs/core-<minor>, pinned by requirements/constraints-core-<minor>.txt, made
# again only when those pins change), one after the other (2 cores; pip's cache is shared).
# `make compat` (in make test): the supported release beside the main line (2.20), the next
# release's pre-release (2.22, pinned to its rc in constraints-core-2.22.txt) and the oldest
# claimed (2.16). `make compat-all` adds the end-of-life minors between them (2.17, 2.18, 2.19).
# One version alone: make compat COMPAT_CORES=2.17
COMPAT_OLDEST_CORE := 2.16
COMPAT_CORES ?= 2.20 2.22 $(COMPAT_OLDEST_CORE)
COMPAT_ALL_CORES := 2.20 2.22 2.19 2.18 2.17 $(COMPAT_OLDEST_CORE)
# Controller Python of each minor's venv: 2.16-2.19 on 3.11; 2.20 on 3.12 (the other controller
# Python of the tool venv's 3.13); 2.22 needs 3.13+.
COMPAT_PYTHONS_2.16 := 3.11
COMPAT_PYTHONS_2.17 := 3.11
COMPAT_PYTHONS_2.18 := 3.11
COMPAT_PYTHONS_2.19 := 3.11
COMPAT_PYTHONS_2.20 := 3.12
COMPAT_PYTHONS_2.22 := 3.13
compat_venvs = $(foreach core,$(1),$(CURDIR)/.venvs/core-$(core))
COMPAT_OLDEST := $(CURDIR)/.venvs/core-$(COMPAT_OLDEST_CORE)
# ansible-test 2.16 bootstraps its venvs with get-pip 23.1.2 (2.21: 25.2), same stand-in.
GET_PIP_OLDEST := $(HOME)/.ansible/test/cache/get_pip_23_1_2.py
SANITY_OLDEST_DIR := $(TMP_ROOT)/vpsorg-cloud-sanity-core-$(COMPAT_OLDEST_CORE)-$(CHECKOUT_ID)/ansible_collections/vpsorg/cloud

compat-venvs: $(addsuffix /.installed,$(call compat_venvs,$(COMPAT_CORES))) ## one venv per other ansible-core minor (.venvs/core-<minor>)

# --pre: the constraints pin every package, so it only lets a pinned pre-release (2.22.0rc1) in.
$(CURDIR)/.venvs/core-%/.installed: requirements/compat.txt requirements/constraints-core-%.txt $(SIMULATOR_PROJECT)
	PYTHON= scripts/make_venv.sh $(@D) $(or $(COMPAT_PYTHONS_$*),$(error no COMPAT_PYTHONS_$* in the Makefile))
	$(@D)/bin/python -m pip install --quiet --pre -r requirements/compat.txt -c requirements/constraints-core-$*.txt \
		$(if $(SIMULATOR_PROJECT),-e simulator)
	touch $@

$(GET_PIP_OLDEST): scripts/get_pip_standin.py
	mkdir -p $(dir $@)
	cp $< $@

compat: venv compat-venvs ## unit suite and version-sensitive integration tests on 2.20, 2.22 and 2.16
	scripts/run_compat.sh $(call compat_venvs,$(COMPAT_CORES))

compat-all: ## both whole suites on every minor from 2.16 to 2.22 (before a release)
	$(MAKE) --no-print-directory compat COMPAT_CORES="$(COMPAT_ALL_CORES)" COMPAT_MARKS=""

# ansible-test sanity on the oldest supported ansible-core (the sanity gate runs the main line).
compat-sanity: venv $(COMPAT_OLDEST)/.installed $(GET_PIP_OLDEST) ## ansible-test sanity on the oldest claimed ansible-core (2.16)
	$(BIN)/python scripts/sync_tree.py . $(SANITY_OLDEST_DIR)
	# An option's `secret: true` (honoured from 2.22, documented from 2.19) is unknown to 2.16's
	# validate-modules schema and ignored by its runtime: the copy checked here goes without it.
	sed -i '/^    secret: true$$/d' $(SANITY_OLDEST_DIR)/plugins/inventory/*.py
	cd $(SANITY_OLDEST_DIR) && $(COMPAT_OLDEST)/bin/ansible-test sanity --venv --python 3.11 --color no

# Modules run on managed hosts (tests/config.yml: Python >= 3.9); controller-side plugins run
# where ansible-core 2.16 runs (Python >= 3.10). vermin fails on anything newer, e.g. datetime.UTC.
VERMIN := $(BIN)/vermin --no-tips --violations --eval-annotations --backport typing
python-floor: venv ## vermin: no code needs a newer Python than claimed (modules 3.9, controller 3.10)
	$(VERMIN) -t=3.9- plugins/modules plugins/module_utils
	$(VERMIN) -t=3.10- plugins/inventory plugins/doc_fragments $(wildcard extensions/eda)

# --- demo and benchmarks ---------------------------------------------------------------------

demo: venv ## the main job against the bundled simulator (scripts/demo.sh)
	scripts/demo.sh

BENCH_SCRIPTS := $(sort $(wildcard benchmarks/*.py) $(wildcard simulator/bench/*.py))

# A failing benchmark does not stop the others; the report is written from those that ran and
# the target still fails, naming the ones that did not run and every target that was missed.
bench: venv ## every benchmark; writes docs/benchmarks.md
	rm -rf $(CACHE)/bench && mkdir -p $(CACHE)/bench
	failed=""; \
	for script in $(BENCH_SCRIPTS); do \
		echo "==> $$script"; \
		$(BIN)/python $$script --json $(CACHE)/bench/$$(basename $$script .py).json || failed="$$failed $$script"; \
	done; \
	report=0; $(BIN)/python scripts/bench_report.py --in $(CACHE)/bench --out docs/benchmarks.md --failed $$failed || report=1; \
	if [ -n "$$failed" ]; then echo "bench: failed:$$failed" >&2; fi; \
	[ -z "$$failed" ] && [ $$report -eq 0 ]

# The integration suite's fault scenarios, recorded row by row and rendered as a page. The page
# is written whether or not a scenario failed (a failing one shows as FAILED); the target then
# fails if the tests or the page found a failure.
# Every test that records fault rows (the fault_row fixture) contributes to the page.
FAULT_TESTS := $(shell grep -l 'fault_row' tests/integration/test_*.py)

faults: venv ## the fault scenarios; writes docs/fault-tolerance.md
	mkdir -p $(CACHE) && rm -f $(CACHE)/faults.jsonl
	rc=0; VPS_FAULT_REPORT=$(CACHE)/faults.jsonl $(PYTEST) -n 2 $(FAULT_TESTS) || rc=$$?; \
	$(BIN)/python scripts/fault_report.py $(CACHE)/faults.jsonl docs/fault-tolerance.md || { [ $$rc -ne 0 ] || rc=1; }; \
	exit $$rc

# Mutation testing (mutmut) of plugins/module_utils and plugins/modules against tests/unit, in a
# copy of the tree under $(CACHE)/mutation; writes docs/mutation.md. Not a gate (it takes long).
# `make mutation ONLY="plugins/module_utils/retry.py ..."` mutates those files only and writes
# $(CACHE)/mutation-only.md instead of the page.
mutation: venv ## mutation testing of module_utils and modules against the unit suite; writes docs/mutation.md
	$(BIN)/python scripts/mutation.py --work $(CACHE)/mutation \
		--out $(if $(ONLY),$(CACHE)/mutation-only.md --only $(ONLY),docs/mutation.md) \
		--equivalent tests/mutation

clean: ## remove .cache, tests/output and .ansible
	rm -rf $(CACHE) tests/output .ansible
