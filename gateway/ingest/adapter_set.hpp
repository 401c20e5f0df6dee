// The adapters and renderers a gateway was built with, by name (what the HTTP and MLLP routes
// and the journal's resume look up).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/ingest/adapter.hpp"

namespace gw::ingest {

/** AdapterSet: owns the adapters and renderers; read-only (and so thread-safe) once built. */
class AdapterSet {
public:
  void add(std::unique_ptr<InboundAdapter> adapter) { adapters_.push_back(std::move(adapter)); }
  void add(std::unique_ptr<OutboundRenderer> renderer) {
    renderers_.push_back(std::move(renderer));
  }
  /** find: the inbound adapter with this name, or nullptr. */
  [[nodiscard]] const InboundAdapter* find(std::string_view name) const {
    for (const auto& a : adapters_) {
      if (a->name() == name) {
        return a.get();
      }
    }
    return nullptr;
  }
  /** names: the inbound adapters' names, comma-separated (for errors). */
  [[nodiscard]] std::string names() const {
    std::string out;
    for (const auto& a : adapters_) {
      out += (out.empty() ? "" : ", ") + std::string(a->name());
    }
    return out;
  }
  /** renderers: every renderer (for IngestDeps). */
  [[nodiscard]] std::vector<const OutboundRenderer*> renderers() const {
    std::vector<const OutboundRenderer*> out;
    for (const auto& r : renderers_) {
      out.push_back(r.get());
    }
    return out;
  }

private:
  std::vector<std::unique_ptr<InboundAdapter>> adapters_;
  std::vector<std::unique_ptr<OutboundRenderer>> renderers_;
};

}  // namespace gw::ingest
