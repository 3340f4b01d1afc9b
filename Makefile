# The two commands: `make run` (local stack + demo) and `make test` (every check CI runs).
.PHONY: run demo test package setup clean

run:
	bash scripts/run.sh

# The demo once, then stop the stack (what `make test` runs to keep `make run` true).
demo:
	bash scripts/run.sh --once

test:
	bash scripts/test.sh

# The deployable form: target/lambda/<function>/bootstrap.zip for every function (cargo-lambda).
package:
	bash scripts/package.sh

setup:
	bash scripts/python-env.sh

clean:
	rm -rf .local out infra/cdk.out
