// live_config: see the header. Reclamation: a worker writes into its slot the generation
// latest_ names, then loads current_, whose generation is that one or newer (current_ is
// written before latest_); it uses that snapshot until its next acquire() or quiesce(). So no
// worker uses a generation below the smallest slot, and publish(), which reads the slots after
// writing current_, frees only older ones: a worker whose slot write it missed is ordered
// after that read, and so loads the new pointer.
#include "service/live_config.hpp"

#include <algorithm>

#include "answer/tokens.hpp"
#include "dialects/openai_chat.hpp"

namespace lms {

void derive_snapshot(live_snapshot& s) {
    s.text = s.cfg.content == content_mode::text ? std::string_view(s.cfg.content_text) : CHAT_CONTENT;
    s.text_tokens = count_tokens(s.text);
}

live_config::live_config(const config& startup, unsigned workers)
    : seen_(new seen_slot[workers == 0 ? 1 : workers]), workers_(workers == 0 ? 1 : workers), base_(startup) {
    auto s = std::make_unique<live_snapshot>();
    s->cfg = startup;
    derive_snapshot(*s);
    current_.store(s.get(), std::memory_order_release);
    kept_.push_back(std::move(s));
}

uint64_t live_config::publish(const config& new_base, const config& effective) {
    base_ = new_base;
    auto s = std::make_unique<live_snapshot>();
    s->cfg = effective;
    s->generation = kept_.back()->generation + 1;
    derive_snapshot(*s);
    const uint64_t g = s->generation;
    current_.store(s.get(), std::memory_order_seq_cst);
    latest_.store(g, std::memory_order_release);
    kept_.push_back(std::move(s));
    uint64_t oldest = g;
    for (unsigned w = 0; w < workers_; ++w) {
        oldest = std::min(oldest, seen_[w].generation.load(std::memory_order_seq_cst));
    }
    // kept_ is in generation order; the current one is never freed (oldest <= g).
    const auto first_kept = std::find_if(kept_.begin(), kept_.end(),
                                         [oldest](const std::unique_ptr<live_snapshot>& k) { return k->generation >= oldest; });
    kept_.erase(kept_.begin(), first_kept);
    return g;
}

}  // namespace lms
