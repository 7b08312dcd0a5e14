//! The Lua scripts every state change runs, kept as `.lua` files beside this one so they read
//! and grep as Lua: one script per change, so concurrent writers never interleave half-writes.
//! `transition.lua` and `index_similarity.lua` define functions, so that `finish.lua` runs both
//! in one step; their own scripts call them.

use redis::Script;

const ENC_LUA: &str = include_str!("enc.lua");
const CREATE_LUA: &str = include_str!("create.lua");
const TRANSITION_LUA: &str = include_str!("transition.lua");
const CLAIM_WEBHOOKS_LUA: &str = include_str!("claim_webhooks.lua");
const RECORD_WEBHOOK_LUA: &str = include_str!("record_webhook.lua");
const INDEX_SIMILARITY_LUA: &str = include_str!("index_similarity.lua");
const PROGRESS_LUA: &str = include_str!("progress.lua");
const READ_RESULT_LUA: &str = include_str!("read_result.lua");
const FINISH_LUA: &str = include_str!("finish.lua");

pub(super) struct Scripts {
    pub create: Script,
    pub transition: Script,
    pub claim_webhooks: Script,
    pub record_webhook: Script,
    pub index_similarity: Script,
    pub progress: Script,
    pub read_result: Script,
    pub finish: Script,
}

impl Scripts {
    pub(super) fn load() -> Self {
        Self {
            create: Script::new(CREATE_LUA),
            transition: Script::new(&format!(
                "{ENC_LUA}{TRANSITION_LUA}return transition(KEYS, ARGV)\n"
            )),
            claim_webhooks: Script::new(CLAIM_WEBHOOKS_LUA),
            record_webhook: Script::new(RECORD_WEBHOOK_LUA),
            index_similarity: Script::new(&format!(
                "{INDEX_SIMILARITY_LUA}return index_similarity(KEYS, ARGV)\n"
            )),
            progress: Script::new(&format!("{ENC_LUA}{PROGRESS_LUA}")),
            read_result: Script::new(READ_RESULT_LUA),
            finish: Script::new(&format!(
                "{ENC_LUA}{TRANSITION_LUA}{INDEX_SIMILARITY_LUA}{FINISH_LUA}"
            )),
        }
    }
}
