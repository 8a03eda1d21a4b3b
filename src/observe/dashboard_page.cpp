// dashboard_page: the HTML is kept as a plain file (edited and viewed as HTML) and assembled in
// with .incbin; the path is relative to the build's working directory (the repository root, as
// for every rule of the Makefile). A NUL follows it, so a debugger shows it as a string.
#include "observe/dashboard_page.hpp"

asm(".section .rodata\n"
    ".balign 16\n"
    "lms_dashboard_html:\n"
    ".incbin \"src/observe/dashboard.html\"\n"
    "lms_dashboard_html_end:\n"
    ".byte 0\n"
    ".previous\n");

extern "C" const char lms_dashboard_html[];
extern "C" const char lms_dashboard_html_end[];

namespace lms {

std::string_view dashboard_page() noexcept {
    return {lms_dashboard_html, size_t(lms_dashboard_html_end - lms_dashboard_html)};
}

}  // namespace lms
