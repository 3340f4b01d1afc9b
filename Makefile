# The two commands: `make run` (local stack + demo) and `make test` (every check CI runs).
.PHONY: run demo test setup clean

run:
	bash scripts/run.sh

# The demo once, then stop the stack (what `make test` runs to keep `make run` true).
demo:
	bash scripts/run.sh --once

test:
	bash scripts/test.sh

setup:
	bash scripts/python-env.sh

clean:
	rm -rf .local out infra/cdk.out
