// replay_main: runs a fuzz target's LLVMFuzzerTestOneInput over files and directories without
// libFuzzer (as simdjson's fuzz/main.cpp does), so `make test` replays the corpus with g++ and
// ASan+UBSan. usage: REPLAY PATH... (a directory means every regular file in it, sorted).
// Prints "replayed N inputs (B bytes)"; a finding aborts (the sanitizers' or the target's).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path p(argv[i]);
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            for (const auto& e : fs::directory_iterator(p)) {
                if (e.is_regular_file()) {
                    files.push_back(e.path());
                }
            }
        } else if (fs::is_regular_file(p, ec)) {
            files.push_back(p);
        } else {
            std::fprintf(stderr, "replay: %s: not a file or directory\n", argv[i]);
            return 2;
        }
    }
    std::sort(files.begin(), files.end());
    size_t bytes = 0;
    for (const fs::path& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::vector<char> v((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // An exact-size heap copy: ASan sees any read past the input's end.
        std::vector<uint8_t> data(v.begin(), v.end());
        static const uint8_t empty = 0;  // never pass nullptr, even for an empty input
        std::fprintf(stderr, "replay: %s\n", f.c_str());
        LLVMFuzzerTestOneInput(data.empty() ? &empty : data.data(), data.size());
        bytes += data.size();
    }
    std::printf("replayed %zu inputs (%zu bytes)\n", files.size(), bytes);
    return 0;
}
