// A fixed set of threads for the storage reads that gRPC callbacks must not
// do themselves. The queue is bounded: Schedule refuses work beyond it, so a
// flood of reads becomes RESOURCE_EXHAUSTED rather than unbounded memory.
#ifndef MISSIONLOG_BASE_WORKER_POOL_H_
#define MISSIONLOG_BASE_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace missionlog {

// Safe for concurrent use.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Runs what is queued, then joins the threads.
  ~WorkerPool();

  // Queues `task`; false (and `task` dropped) if the queue is full or the
  // pool is stopping.
  bool Schedule(std::function<void()> task);

 private:
  void Run();

  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace missionlog

#endif  // MISSIONLOG_BASE_WORKER_POOL_H_
