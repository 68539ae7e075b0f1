#include "streams/tail.h"

#include <algorithm>

namespace runnel::streams {

void RecordTail::append(ports::StreamRecord record) {
  std::lock_guard lock(mu_);
  if (complete_from_ == kNothing) {
    complete_from_ = record.seq;
    holding_.store(true, std::memory_order_release);
  }
  bytes_ += record.json.size();
  records_.push_back(std::move(record));
  while (bytes_ > max_bytes_ && !records_.empty()) {
    bytes_ -= records_.front().json.size();
    complete_from_ = records_.front().seq + 1;
    records_.pop_front();
  }
}

void RecordTail::forget() {
  if (!holding_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mu_);
  records_.clear();
  bytes_ = 0;
  complete_from_ = kNothing;
  holding_.store(false, std::memory_order_release);
}

std::optional<bool> RecordTail::visit(uint64_t from_seq, uint64_t upper, const Visit& visit) const {
  std::lock_guard lock(mu_);
  if (from_seq < complete_from_) return std::nullopt;
  auto it = std::lower_bound(records_.begin(), records_.end(), from_seq,
                             [](const ports::StreamRecord& r, uint64_t seq) { return r.seq < seq; });
  for (; it != records_.end() && it->seq < upper; ++it)
    if (!visit(it->seq, it->written_ms, it->json)) return false;
  return true;
}

}  // namespace runnel::streams
