//! A script call's keys and arguments gathered before the call, so that one step can carry
//! what several scripts take (`finish.lua` runs a transition and an index entry).

use redis::{Script, ScriptInvocation, ToRedisArgs};

#[derive(Debug, Default)]
pub(super) struct ScriptArgs {
    pub keys: Vec<String>,
    pub args: Vec<Vec<u8>>,
}

impl ScriptArgs {
    pub fn key(&mut self, k: String) -> &mut Self {
        self.keys.push(k);
        self
    }

    pub fn arg<T: ToRedisArgs>(&mut self, a: T) -> &mut Self {
        self.args.extend(a.to_redis_args());
        self
    }

    /// Everything of `more` after what is here.
    pub fn append(&mut self, more: ScriptArgs) -> &mut Self {
        self.keys.extend(more.keys);
        self.args.extend(more.args);
        self
    }

    pub fn invocation<'a>(&self, script: &'a Script) -> ScriptInvocation<'a> {
        let mut inv = script.prepare_invoke();
        for k in &self.keys {
            inv.key(k);
        }
        for a in &self.args {
            inv.arg(a.as_slice());
        }
        inv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_is_one_argument_in_order() {
        let mut a = ScriptArgs::default();
        a.key("k1".into()).arg(7_u64).arg(&b"bytes"[..]).arg("s");
        let mut b = ScriptArgs::default();
        b.key("k2".into()).arg(-1_i64);
        a.append(b);
        assert_eq!(a.keys, ["k1", "k2"]);
        assert_eq!(
            a.args,
            [
                b"7".to_vec(),
                b"bytes".to_vec(),
                b"s".to_vec(),
                b"-1".to_vec()
            ]
        );
    }
}
