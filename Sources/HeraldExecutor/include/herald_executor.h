#pragma once

/// Takes over Swift concurrency's global executor with a fixed pool of `threads` plain
/// pthreads that sleep on a condition variable when there is no work.
///
/// Why: on Linux the default global executor is libdispatch, whose worker-pool monitor
/// (`_dispatch_workq_monitor_pools`) wakes the process once a second, forever, as soon as
/// the first worker thread has run. An idle daemon must not wake at all.
///
/// Only the plain enqueue is taken over; delayed jobs (`Task.sleep`) still go to libdispatch,
/// so heraldd keeps its timers on its own sd-event loop. Returns 1 when the pool serves
/// (also when it already did), 0 when the runtime offers no hook or one is already taken.
int herald_executor_install(unsigned threads);

/// Whether the calling thread is one of the pool's.
int herald_executor_on_pool(void);

/// From now until `herald_executor_run_held`, jobs enqueued on the calling thread are kept
/// for it instead of waking a pool thread. For a thread that resumes a task and is about to be
/// idle anyway (the HTTP driver after an answer): the task then goes on there, without a
/// second thread waking. Does nothing when the pool is not installed.
void herald_executor_hold(void);

/// Ends the hold and runs the held jobs on the calling thread, in order; returns how many.
/// Jobs they enqueue go to the pool as usual.
unsigned herald_executor_run_held(void);

/// Names the calling thread (at most 15 bytes show), so that a look at /proc tells Herald's
/// threads apart: a thread otherwise inherits its creator's name.
void herald_name_thread(const char *name);

/// The calling thread's kernel id (its directory under /proc/self/task).
int herald_thread_id(void);
