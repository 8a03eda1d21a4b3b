#!/bin/bash
# bench/plot.sh RESULTS_DIR: two PNGs from a `make bench` run's hold scenario (gnuplot):
#   hold-memory.png  cgroup peak memory versus held requests, each server
#   hold-delay.png   delay error p99 versus held requests, each server: paced load on
#                    established connections, and the burst's first requests (which include the
#                    wait in the accept queue)
set -eu
out=$1
cd "$out"
[ -s hold-memory.dat ] || { echo "plot: no hold data in $out"; exit 0; }
gnuplot <<EOF
set terminal pngcairo size 900,540 font "sans,11"
set key top left
set grid
set logscale x
set xtics (1000, 5000, 15000)
set xlabel "held requests (keep-alive connections, delay ${HOLD_DELAY:-10} s)"

set output "hold-memory.png"
set title "Server cgroup peak memory, burst (1 CPU / 1 GiB cgroup)"
set ylabel "MiB"
plot "hold-memory.dat" using 1:2 with linespoints lw 2 title "llm-mock-server", \
     "" using 1:3 with linespoints lw 2 title "nginx + echo", \
     "" using 1:4 with linespoints lw 2 dt 2 title "reference (not the product)"

set output "hold-delay.png"
set title "Delay error p99 as the load client sees it (ms late, log scale)"
set ylabel "ms late"
set logscale y
plot "hold-delay.dat" using 1:4 with linespoints lw 2 lc 1 title "llm-mock-server, paced, established", \
     "" using 1:3 with linespoints lw 1 lc 1 dt 2 title "llm-mock-server, burst, first request (accept queue)", \
     "" using 1:7 with linespoints lw 2 lc 2 title "nginx, paced, established", \
     "" using 1:6 with linespoints lw 1 lc 2 dt 2 title "nginx, burst, first request", \
     "" using 1:10 with linespoints lw 2 lc 3 title "reference, paced, established", \
     "" using 1:9 with linespoints lw 1 lc 3 dt 2 title "reference, burst, first request"
EOF
echo "plot: $out/hold-memory.png $out/hold-delay.png"
