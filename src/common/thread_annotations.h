// Clang thread-safety annotations (-Wthread-safety), as in LevelDB's
// port/thread_annotations.h. They compile to nothing on other compilers.
#pragma once

#if defined(__clang__)
#define MYTSDB_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MYTSDB_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) MYTSDB_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY MYTSDB_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) MYTSDB_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) MYTSDB_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) MYTSDB_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define REQUIRES(...) MYTSDB_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) MYTSDB_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) MYTSDB_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) MYTSDB_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) MYTSDB_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) MYTSDB_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define RELEASE(...) MYTSDB_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) MYTSDB_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) MYTSDB_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS MYTSDB_THREAD_ANNOTATION(no_thread_safety_analysis)
