# The two set-up commands of the README: `make demo` and `make test`. Both start with `setup`, which installs
# whatever a fresh machine lacks (see scripts/setup.sh).
SWIFT ?= swift
DEMO_TRACE := Fixtures/demo/lostwake-6.1.trace
KSLEUTH := .build/release/ksleuth

.PHONY: setup build demo test bench clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product ksleuth

demo: build
	$(KSLEUTH) stats $(DEMO_TRACE)

test: setup
	$(SWIFT) test --disable-swift-testing

bench: setup
	@bash Benchmarks/run.sh

clean:
	rm -rf .build
