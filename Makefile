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

# The demo trace holds a real lost wake-up: analyze exits 3 ("findings"), which is the expected result here.
demo: build
	$(KSLEUTH) stats $(DEMO_TRACE)
	@echo
	$(KSLEUTH) analyze $(DEMO_TRACE) || [ $$? -eq 3 ]

test: setup
	$(SWIFT) test --disable-swift-testing

bench: setup
	@bash Benchmarks/run.sh

clean:
	rm -rf .build
