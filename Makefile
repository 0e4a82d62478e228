# The two commands of the README: `make run` boots the default guest, `make test` runs every test.
BUILD ?= build
.PHONY: deps build guest run test unit-test local-test asan-test bench clean

deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja
	ninja -C $(BUILD)

guest:
	scripts/fetch-guest.sh >/dev/null

run: build guest
	scripts/run-default-guest.sh

# Retries the nested test host needed (issue 13) are counted in $(BUILD)/retries.log and printed.
test: build guest
	rm -f $(BUILD)/retries.log
	cd $(BUILD) && VIREO_RETRY_LOG=$(abspath $(BUILD))/retries.log ctest --output-on-failure; rc=$$?; \
	  if [ -s retries.log ]; then \
	    echo "retries used: $$(grep -cE 'starting it again|running the test once more|replaced by another trial' retries.log)"; \
	    cat retries.log; \
	  else echo "retries used: none"; fi; exit $$rc

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -L unit

# The vireo binary with its sandbox on this machine's /dev/kvm (skipped without one).
local-test: build
	cd $(BUILD) && ctest --output-on-failure -L local

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan-test: deps
	cmake -S . -B build-asan -G Ninja -DVIREO_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	ninja -C build-asan
	cd build-asan && ctest --output-on-failure -L unit

bench: build guest
	bench/boot_bench.sh

clean:
	rm -rf $(BUILD) build-asan
