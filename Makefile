# Convenience wrappers around the scripts the README documents.
.PHONY: run test build clean
run:
	scripts/run
test:
	scripts/test
build:
	cmake -S . -B build/ci -G Ninja -DHERALD_WERROR=ON && cmake --build build/ci
clean:
	rm -rf build
