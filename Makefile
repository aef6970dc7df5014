# cdkpush: build, demo and test. `make demo` and `make test` install what they
# need (as root, with apt-get) through scripts/install-deps.sh.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
FUZZTIME ?= 10s
# moto_server comes with the machine, under pyenv's shims.
export PATH := $(PATH):$(HOME)/.pyenv/shims:/root/.pyenv/shims

.PHONY: build deps demo test lint unit fuzz synth clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/cdkpush ./cmd/cdkpush

deps:
	bash scripts/install-deps.sh

# The main job on the bundled example, against a local rig.
demo: deps build
	$(GO) run ./internal/demo -cdkpush bin/cdkpush -project testdata/example

# Every test: formatting, vet, unit and end-to-end tests with the race
# detector, then a short run of every fuzz target.
test: deps lint unit fuzz

lint:
	@files=$$(git ls-files '*.go'); bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then echo "gofmt would change: $$bad"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

# Regenerate testdata/*/cdk.out with the real CDK CLI (needs the npm registry).
synth:
	$(MAKE) -C testdata synth

clean:
	rm -rf bin
