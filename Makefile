# cdkpush: build, demo and test. `make demo` and `make test` install what they
# need (as root, with apt-get) through scripts/install-deps.sh.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
FUZZTIME ?= 10s
# moto_server comes with the machine, under pyenv's shims.
export PATH := $(PATH):$(HOME)/.pyenv/shims:/root/.pyenv/shims

.PHONY: build deps demo test lint unit fuzz synth clean bench bench-login bench-plan bench-push

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

# Benchmarks: each prints its figures; none is a pass/fail test.
bench: bench-login bench-plan bench-push

# cdkpush login --print-password against aws ecr get-login-password on one
# moto. The aws CLI is Debian's awscli (2.9), installed if missing.
AWS_CLI ?= /usr/bin/aws
bench-login: deps build
	@test -x $(AWS_CLI) || { apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends awscli; }
	$(GO) run ./bench/loginbench -cdkpush bin/cdkpush -aws $(AWS_CLI)

# cdkpush against the shell script it replaces (bench/push.sh: aws CLI and
# docker CLI), 8 images of 3 x 8 MiB to the 8 repositories of
# testdata/repos's BenchStack, on a fresh registry per run.
bench-push: deps build
	@test -x $(AWS_CLI) || { apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends awscli; }
	$(GO) run ./bench/pushbench -cdkpush bin/cdkpush -aws $(AWS_CLI)

# plan --offline on a generated assembly of 500 stacks, 2,000 repositories
# and 200 image assets: Go benchmarks in-process, then the built binary's
# wall time, CPU time and peak memory. The target is 100 ms and 64 MB.
bench-plan: build
	$(GO) test -run '^$$' -bench 'PlanOffline|ResolveOffline' -benchmem -count 5 \
		./cmd/cdkpush ./bench/synth
	$(GO) run ./bench/planbench -cdkpush bin/cdkpush

# Regenerate testdata/*/cdk.out with the real CDK CLI (needs the npm registry).
synth:
	$(MAKE) -C testdata synth

clean:
	rm -rf bin
