#pragma once
// dashboard_page: the live dashboard (GET /dashboard): one self-contained HTML page (inline CSS,
// JS and SVG charts, no external asset) that polls /health and /metrics once a second.
//
// Level 0. The page's bytes are src/observe/dashboard.html, assembled into the binary's
// read-only data (mk/dashboard.mk makes its object depend on the file); they live as long as the
// process, are never written, and may be read from any thread. Nothing here allocates.
#include <cstddef>
#include <string_view>

namespace lms {

inline constexpr std::string_view DASHBOARD_CONTENT_TYPE = "text/html; charset=utf-8";
// A page that changes with the binary: never served from a cache.
inline constexpr std::string_view DASHBOARD_HEADERS = "Cache-Control: no-store\r\n";
// The page's largest size: a tail the socket does not take at once is kept in a read buffer,
// which is at least this large whatever MAX_BODY_BYTES is (worker::read_buffer_bytes).
inline constexpr size_t DASHBOARD_PAGE_MAX = 16384;

// The page, whole; the view is valid for the process's lifetime.
[[nodiscard]] std::string_view dashboard_page() noexcept;

}  // namespace lms
