# dashboard (issue 16): GET /dashboard, the Grafana dashboard deploy/grafana/llm-mock-server.json,
# and their test test/suite_dashboard.sh (every PromQL expression names an exported family; headless
# Chromium reads the page while a load runs and its figures are compared with /health and
# /metrics; screenshots to build/plots/, or with DASHBOARD_SCREENSHOTS=bench/plots the committed ones).

TEST_PACKAGES += chromium python3

# The page is assembled into dashboard_page.o (.incbin), which the compiler's dependency
# files do not see: every build of the object depends on the HTML here.
DASHBOARD_HTML := src/observe/dashboard.html
build/opt/observe/dashboard_page.o build/san/observe/dashboard_page.o build/static/observe/dashboard_page.o \
build/tsan/observe/dashboard_page.o: $(DASHBOARD_HTML)
