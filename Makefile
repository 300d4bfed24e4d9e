# bulwark - SMTP flood and directory harvest defence milter
#
#   make            build milter/bulwark and ctl/bulwarkctl
#   make run        install missing packages (as root), build, run in the foreground
#   make check      install missing packages (as root), build, run every test
#   make install    install under $(DESTDIR)$(PREFIX)
#   make uninstall  remove what "make install" installed (an edited
#                   bulwark.conf stays)
#   make fuzz       build the fuzz/ harnesses with clang, run each FUZZ_SECONDS

VERSION  = 0.1.0
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
PKGS     = libconfig hiredis libmicrohttpd jansson libnftables
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -DBULWARK_VERSION='"$(VERSION)"' \
           -Ilib $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
MILTER_LIBS = -lmilter
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null)

# libFuzzer harnesses: the library (and, for the control harness, the
# request handling of milter/) built apart with sanitizers.
FUZZ_CC  ?= clang
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
           -fno-sanitize-recover=all -std=gnu11 $(WARN) -D_GNU_SOURCE \
           -DBULWARK_VERSION='"$(VERSION)"' -Ilib $(MILTER_INC) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

LIB_SRC    = $(sort $(wildcard lib/*.c))
LIB_OBJ    = $(LIB_SRC:.c=.o)
MILTER_SRC = $(sort $(wildcard milter/*.c milter/*/*.c))
MILTER_INC = -Imilter -Imilter/control -Imilter/metrics -Imilter/firewall
MILTER_OBJ = $(MILTER_SRC:.c=.o)
CTL_SRC    = $(sort $(wildcard ctl/*.c))
CTL_OBJ    = $(CTL_SRC:.c=.o)
UNIT_SRC   = $(sort $(wildcard t/unit/check_*.c))
UNIT_BIN   = $(UNIT_SRC:.c=)
HEADERS    = $(wildcard lib/*.h milter/*.h milter/*/*.h ctl/*.h t/unit/*.h)
FUZZ_SRC   = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN   = $(FUZZ_SRC:.c=)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=fuzz/obj/%.o)
FUZZ_CONTROL_OBJ = $(patsubst %.c,fuzz/obj/%.o,$(wildcard \
           milter/control/commands*.c milter/control/control_json.c \
           milter/metrics/metrics_table.c milter/metrics/metrics_text.c \
           milter/metrics/metrics_json.c milter/firewall/*.c)) \
           fuzz/obj/milter/runtime.o

all: milter/bulwark ctl/bulwarkctl

# Made afresh, so that an object whose source is gone leaves with it.
lib/libbulwark.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

%.o: %.c $(HEADERS)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(MILTER_OBJ): ALL_CFLAGS += $(MILTER_INC)

milter/bulwark: $(MILTER_OBJ) lib/libbulwark.a
	$(CC) $(LDFLAGS) -o $@ $(MILTER_OBJ) lib/libbulwark.a $(MILTER_LIBS) $(LIBS)

ctl/bulwarkctl: $(CTL_OBJ) lib/libbulwark.a
	$(CC) $(LDFLAGS) -o $@ $(CTL_OBJ) lib/libbulwark.a $(LIBS)

# The checks of daemon infrastructure link the objects they test too.
t/unit/check_metrics: milter/metrics/metrics_table.o \
           milter/metrics/metrics_text.o milter/metrics/metrics_json.o \
           milter/firewall/firewall_stats.o
t/unit/check_firewall_table: milter/firewall/firewall_table.o \
           milter/firewall/firewall_guard.o
t/unit/check_json: milter/control/control_json.o

t/unit/check_%: t/unit/check_%.c lib/libbulwark.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(MILTER_INC) $(LDFLAGS) -o $@ $< \
	    $(filter %.o,$^) lib/libbulwark.a $(CHECK_LIBS) $(LIBS)

bench/store_bench: bench/store_bench.c lib/libbulwark.a $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< lib/libbulwark.a $(LIBS)

bench: bench/store_bench

fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

fuzz/obj/libbulwark.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

fuzz/fuzz_control: $(FUZZ_CONTROL_OBJ)

fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/obj/libbulwark.a $(HEADERS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(filter %.o,$^) \
	    fuzz/obj/libbulwark.a $(LIBS)

fuzz: $(FUZZ_BIN)
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

deps:
	@contrib/install-deps.sh build

deps-check:
	@contrib/install-deps.sh check

run: deps
	@$(MAKE) --no-print-directory all
	@contrib/run-foreground.sh

check: deps-check
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@t/run-all.sh $(UNIT_BIN)

install: milter/bulwark ctl/bulwarkctl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 milter/bulwark $(DESTDIR)$(SBINDIR)/bulwark
	install -m 0755 ctl/bulwarkctl $(DESTDIR)$(SBINDIR)/bulwarkctl
	install -m 0644 man/bulwark.8 $(DESTDIR)$(MANDIR)/man8/bulwark.8
	install -m 0644 man/bulwarkctl.8 $(DESTDIR)$(MANDIR)/man8/bulwarkctl.8
	install -m 0644 man/bulwark.conf.5 $(DESTDIR)$(MANDIR)/man5/bulwark.conf.5
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' \
	    -e 's|/etc/bulwark/|$(SYSCONFDIR)/bulwark/|g' contrib/bulwark.service \
	    >$(DESTDIR)$(UNITDIR)/bulwark.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/bulwark.service
	install -d $(DESTDIR)$(SYSCONFDIR)/bulwark
	test -e $(DESTDIR)$(SYSCONFDIR)/bulwark/bulwark.conf || \
	    install -m 0644 etc/bulwark.conf $(DESTDIR)$(SYSCONFDIR)/bulwark/bulwark.conf

# The configuration goes only when it is still the sample: an edited one
# is kept, and said so.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/bulwark $(DESTDIR)$(SBINDIR)/bulwarkctl
	rm -f $(DESTDIR)$(MANDIR)/man8/bulwark.8 $(DESTDIR)$(MANDIR)/man8/bulwarkctl.8
	rm -f $(DESTDIR)$(MANDIR)/man5/bulwark.conf.5
	rm -f $(DESTDIR)$(UNITDIR)/bulwark.service
	@conf=$(DESTDIR)$(SYSCONFDIR)/bulwark/bulwark.conf; \
	if [ ! -e "$$conf" ]; then :; \
	elif cmp -s etc/bulwark.conf "$$conf"; then \
	    echo "rm -f $$conf"; rm -f "$$conf"; \
	    rmdir "$(DESTDIR)$(SYSCONFDIR)/bulwark" 2>/dev/null || true; \
	else \
	    echo "kept $$conf: it differs from etc/bulwark.conf"; \
	fi

clean:
	rm -f lib/*.o lib/libbulwark.a milter/*.o milter/*/*.o milter/bulwark ctl/*.o \
	    ctl/bulwarkctl $(UNIT_BIN) bench/store_bench $(FUZZ_BIN)
	rm -rf fuzz/obj

.PHONY: all bench deps deps-check run check install uninstall clean fuzz
