# husk — a thin wrapper over meson/ninja so the usual verbs work.
#   make          release build in build/
#   make debug    reconfigure build/ with ASan+UBSan (make release to go back)
#   make test     deps + build + every test (unit, system, lint), one summary line
#   make demo     deps + build + a guided tour of what husk can do
#   make bench    deps + build + the benchmarks in bench/
#   make install  binaries to $(PREFIX)/bin (PREFIX=/usr/local)
#   make deps     Debian build and test dependencies (apt-get), idempotent

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
MESON   ?= meson
NINJA   ?= ninja

BINARIES = husk huskd husk-runtime

.PHONY: all debug release test unit system lint format deps demo bench install clean

all: $(BUILD)/build.ninja
	@$(NINJA) -C $(BUILD)

$(BUILD)/build.ninja:
	@$(MESON) setup $(BUILD) --buildtype=release >/dev/null

debug:
	@if [ -f $(BUILD)/build.ninja ]; then \
		$(MESON) configure $(BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined >/dev/null; \
	else \
		$(MESON) setup $(BUILD) -Dbuildtype=debug -Db_sanitize=address,undefined >/dev/null; \
	fi
	@$(NINJA) -C $(BUILD)

release:
	@if [ -f $(BUILD)/build.ninja ]; then \
		$(MESON) configure $(BUILD) -Dbuildtype=release -Db_sanitize=none >/dev/null; \
	fi
	@$(MAKE) --no-print-directory all

deps:
	@scripts/deps.sh

test: deps all
	@tests/run.sh $(BUILD)

unit: all
	@tests/run.sh --only unit $(BUILD)

system: all
	@tests/run.sh --only system $(BUILD)

lint:
	@tests/run.sh --only lint $(BUILD)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

demo: deps all
	@scripts/demo.sh $(BUILD)

bench: deps all
	@bench/all.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	for b in $(BINARIES); do install -m 0755 $(BUILD)/$$b $(DESTDIR)$(PREFIX)/bin/$$b; done

clean:
	rm -rf $(BUILD)
