#ifndef HERALD_CSYSTEMD_SHIM_H
#define HERALD_CSYSTEMD_SHIM_H
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

// sd_bus_match_signal_async and friends take no varargs, but sd_bus_message_append/read do:
// Herald uses the *_basic, open_container and close_container calls, which are not variadic.
// The helpers below exist for the one thing Swift can't express: the error constant.
static inline const sd_bus_error herald_bus_error_null(void) { return (sd_bus_error)SD_BUS_ERROR_NULL; }

#include <errno.h>
#include <signal.h>
#include <unistd.h>

// Signals without libdispatch: a dispatch signal source keeps the process waking every second
// on Linux, so SIGTERM, SIGINT and SIGHUP are written as one byte each to a pipe that the bus
// thread's sd-event loop watches (the self-pipe trick; write() is async-signal-safe).
static int herald_signal_pipe = -1;
static void herald_signal_handler(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(herald_signal_pipe, &b, 1);
    errno = saved;
}
static inline int herald_route_signals(int fd) {
    herald_signal_pipe = fd;
    struct sigaction sa;
    sa.sa_handler = herald_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &sa, 0) < 0 || sigaction(SIGINT, &sa, 0) < 0 || sigaction(SIGHUP, &sa, 0) < 0) return -errno;
    return 0;
}

// ucred for SO_PEERCRED is hidden behind _GNU_SOURCE in glibc's headers.
struct herald_ucred { int pid; unsigned int uid; unsigned int gid; };
#endif
