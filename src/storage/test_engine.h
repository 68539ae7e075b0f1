// For unit tests: an engine in memory (RocksDB's MemEnv), empty, strict.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "storage/engine.h"

namespace runnel::storage {

inline std::unique_ptr<Engine> open_test_engine() {
  EngineOptions options;
  options.in_memory = true;
  auto opened = Engine::open(options);
  EXPECT_TRUE(opened.ok());
  return std::move(opened).value();
}

}  // namespace runnel::storage
