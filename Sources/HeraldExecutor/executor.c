#define _GNU_SOURCE
#include "herald_executor.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* The Swift runtime's entry points take the Swift calling convention. A job is opaque here;
   an executor reference is two words, and the generic executor is both zero. */
#define SWIFTCC __attribute__((swiftcall))
typedef struct Job Job;
typedef struct { void *identity; uintptr_t implementation; } ExecutorRef;
typedef SWIFTCC void (*enqueue_original)(Job *);
typedef SWIFTCC void (*enqueue_hook)(Job *, enqueue_original);
typedef SWIFTCC void (*job_run_fn)(Job *, ExecutorRef);

/* The runtime's hook and job entry point. They are bound by the linker, not looked up with dlsym:
   a statically linked runtime does not export them, and dlsym would find nothing. Weak, so that a
   runtime without them leaves both null and heraldd keeps the default executor. */
extern enqueue_hook swift_task_enqueueGlobal_hook __attribute__((weak));
extern SWIFTCC void swift_job_run(Job *, ExecutorRef) __attribute__((weak));

static job_run_fn job_run;
static enqueue_hook *hook;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static int installed;
static __thread int on_pool;

/* Jobs kept for the calling thread between herald_executor_hold and herald_executor_run_held. */
static __thread int holding;
static __thread Job **held;
static __thread size_t held_cap, held_count;

/* A growable ring of ready jobs, guarded by `lock`. */
static Job **ring;
static size_t ring_cap, ring_head, ring_count;

static void push(Job *job) {
    if (ring_count == ring_cap) {
        size_t cap = ring_cap ? ring_cap * 2 : 256;
        Job **grown = malloc(cap * sizeof *grown);
        if (!grown) abort();  /* out of memory: nothing sane is left to do */
        for (size_t i = 0; i < ring_count; i++) grown[i] = ring[(ring_head + i) % ring_cap];
        free(ring);
        ring = grown;
        ring_cap = cap;
        ring_head = 0;
    }
    ring[(ring_head + ring_count) % ring_cap] = job;
    ring_count++;
}

static void keep(Job *job) {
    if (held_count == held_cap) {
        size_t cap = held_cap ? held_cap * 2 : 16;
        Job **grown = realloc(held, cap * sizeof *grown);
        if (!grown) abort();  /* out of memory: nothing sane is left to do */
        held = grown;
        held_cap = cap;
    }
    held[held_count++] = job;
}

static SWIFTCC void enqueue(Job *job, enqueue_original original) {
    (void)original;
    if (holding) {
        keep(job);
        return;
    }
    pthread_mutex_lock(&lock);
    push(job);
    pthread_cond_signal(&work);
    pthread_mutex_unlock(&lock);
}

static void *worker(void *unused) {
    (void)unused;
    on_pool = 1;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (ring_count == 0) pthread_cond_wait(&work, &lock);
        Job *job = ring[ring_head];
        ring_head = (ring_head + 1) % ring_cap;
        ring_count--;
        pthread_mutex_unlock(&lock);
        job_run(job, (ExecutorRef){0, 0});
    }
    return NULL;
}

int herald_executor_install(unsigned threads) {
    pthread_mutex_lock(&lock);
    if (installed) {
        pthread_mutex_unlock(&lock);
        return 1;
    }
    hook = &swift_task_enqueueGlobal_hook;
    job_run = swift_job_run;
    if (!hook || !job_run || *hook || threads == 0) {
        pthread_mutex_unlock(&lock);
        return 0;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    unsigned started = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, NULL) != 0) break;
        pthread_setname_np(t, "herald-worker");
        started++;
    }
    pthread_attr_destroy(&attr);
    /* Without a thread the hook would strand every job; with fewer than asked it still serves. */
    if (started > 0) {
        *hook = enqueue;
        __atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
    return installed;
}

int herald_executor_on_pool(void) { return on_pool; }

void herald_executor_hold(void) {
    /* Without the pool the runtime's own executor takes every job: nothing to hold. */
    if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) holding = 1;
}

unsigned herald_executor_run_held(void) {
    holding = 0;
    unsigned ran = 0;
    /* A job run here may hold and run jobs of its own: take the list before running any. */
    while (held_count > 0) {
        size_t n = held_count;
        Job **jobs = held;
        held = NULL;
        held_count = held_cap = 0;
        for (size_t i = 0; i < n; i++) job_run(jobs[i], (ExecutorRef){0, 0});
        free(jobs);
        ran += (unsigned)n;
    }
    return ran;
}

void herald_name_thread(const char *name) { pthread_setname_np(pthread_self(), name); }

int herald_thread_id(void) { return (int)gettid(); }
