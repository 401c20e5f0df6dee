// Error propagation for the SQLite store's code (after Abseil's RETURN_IF_ERROR and
// ASSIGN_OR_RETURN): GW_STORE_TRY(expr) returns the error of a failed Result;
// GW_STORE_ASSIGN(decl, expr) declares or assigns the value of a successful one.
#pragma once

#include <utility>

// `decl` is a declaration (`auto x`), so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define GW_STORE_CONCAT_INNER(a, b) a##b
#define GW_STORE_CONCAT(a, b) GW_STORE_CONCAT_INNER(a, b)
#define GW_STORE_TRY(expr)                   \
  do {                                       \
    if (auto gw_try_r = (expr); !gw_try_r) { \
      return gw_try_r.error();               \
    }                                        \
  } while (false)
#define GW_STORE_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                          \
  if (!tmp) {                                 \
    return tmp.error();                       \
  }                                           \
  decl = std::move(*tmp)
#define GW_STORE_ASSIGN(decl, expr) \
  GW_STORE_ASSIGN_IMPL(GW_STORE_CONCAT(gw_assign_r_, __LINE__), decl, expr)
// NOLINTEND(bugprone-macro-parentheses)
