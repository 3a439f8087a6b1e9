#ifndef HERALD_CSYSTEMD_SHIM_H
#define HERALD_CSYSTEMD_SHIM_H
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/socket.h>
#include <sys/eventfd.h>

// sd_bus_match_signal_async and friends take no varargs, but sd_bus_message_append/read do:
// Herald uses the *_basic, open_container and close_container calls, which are not variadic.
// The helpers below exist for the one thing Swift can't express: the error constant.
static inline const sd_bus_error herald_bus_error_null(void) { return (sd_bus_error)SD_BUS_ERROR_NULL; }

// ucred for SO_PEERCRED is hidden behind _GNU_SOURCE in glibc's headers.
struct herald_ucred { int pid; unsigned int uid; unsigned int gid; };
#endif
