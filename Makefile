SHELL := /bin/bash
.DEFAULT_GOAL := help
RUN := source scripts/env.sh &&

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: ## install system packages, .venv and the pinned Node toolchain
	@bash scripts/setup.sh

demo: setup ## start the local cloud and run the demo broadcast
	@$(RUN) python -m cli demo

test: setup ## lint, type-check and run every test tier (what CI runs)
	@bash scripts/test.sh

synth: setup ## synthesize every stack into cdk.out
	@$(RUN) cdk synth --quiet

deploy-check: ## before `cdk deploy`: AWS credentials, bootstrap, Docker (STAGE=, IMAGE_URI= prebuilt image)
	@$(RUN) python scripts/deploy_check.py --stage $(or $(STAGE),dev) $(if $(IMAGE_URI),-c postprocess.image_uri=$(IMAGE_URI))

lint: setup ## ruff and mypy only
	@$(RUN) ruff check . && mypy shared services infra local plugins cli

.PHONY: help setup demo test synth deploy-check lint
