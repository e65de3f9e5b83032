# llmsim — build, test and run the three stages. `make help` lists the targets.

GO        ?= go
BIN       := bin/llmsim
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)

# Packages whose tests also run under the race detector in `make test`: the ones with goroutines
# (concurrent tree growing, parallel prediction-grid evaluation, the simulator's metric writers).
RACE_PKGS ?= ./train/... ./predictor/... ./simulate/...

FUZZTIME  ?= 60s
BENCH     ?= .
PKGS      ?= ./...

STATICCHECK_VERSION := v0.8.2
TOOLS       := $(CURDIR)/bin/tools
STATICCHECK := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)

.PHONY: all build test race bench lint fuzz profile train simulate clean help

all: build

help:
	@echo "build     go build -o $(BIN) ./cmd/llmsim"
	@echo "test      every test, then the race detector on $(RACE_PKGS) (-short)"
	@echo "bench     benchmarks (BENCH=regexp PKGS=./pkg/...)"
	@echo "lint      gofmt, go vet, staticcheck $(STATICCHECK_VERSION)"
	@echo "fuzz      every Fuzz target for FUZZTIME (default $(FUZZTIME))"
	@echo "profile   write the default dataset to datasets/default"
	@echo "train     train the default predictor artifacts into models/"
	@echo "simulate  run the default experiment into runs/"

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/llmsim

test:
	$(GO) test ./...
	$(GO) test -race -short $(RACE_PKGS)

race:
	$(GO) test -race $(PKGS)

bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem $(PKGS)

lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt -w needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# staticcheck is installed into bin/tools under its version, so a version bump reinstalls it.
$(STATICCHECK):
	mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS)/staticcheck $@

# Runs each Fuzz target of each package in turn (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# The three stages on the project's default experiment (configs/default.yaml: Llama-2-7B on an
# A100, Sarathi-Serve, 4,000 synthetic requests) with the bundled roofline dataset, so that no
# measurements and no network are needed. SIMFLAGS replaces the simulate flags, e.g.
# SIMFLAGS='--config my-experiment.yaml'.
GPU       ?= a100
MODEL     ?= meta-llama/Llama-2-7b-hf
DATASET   ?= datasets/default
MODELS    ?= models
SIMFLAGS  ?= --config configs/default.yaml

profile: build
	$(BIN) profile synth --gpu $(GPU) --model $(MODEL) --out $(DATASET)

train: build
	$(BIN) train --dataset $(DATASET) --model $(MODEL) --out $(MODELS)

# Uses the newest TP1 artifact that `make train` wrote for GPU and MODEL.
simulate: build
	@artifact=$$(ls -td $(MODELS)/$(GPU)/$(MODEL)/tp1-* 2>/dev/null | head -1); \
	if [ -z "$$artifact" ]; then echo "no artifact under $(MODELS)/$(GPU)/$(MODEL): run make train first"; exit 1; fi; \
	echo $(BIN) simulate --artifact $$artifact $(SIMFLAGS); \
	$(BIN) simulate --artifact $$artifact $(SIMFLAGS)

clean:
	rm -rf bin
