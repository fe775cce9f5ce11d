//! What the sequencer keeps in memory per room to decide on actions without reading the
//! database: kind, last sequence number, members and their roles.

use std::collections::BTreeMap;

use convo_federation::UserId;

use crate::rooms::model::{Role, RoomKind};

#[derive(Clone, Debug)]
pub struct MemberState {
    pub role: Role,
    pub joined: bool,
    pub joined_at: i64,
    pub joined_seq: i64,
    pub muted: bool,
}

#[derive(Clone, Debug)]
pub struct RoomState {
    pub kind: RoomKind,
    pub last_seq: i64,
    pub deleted: bool,
    /// Everyone who was ever a member, joined or not (ordered, so fan-out order is stable).
    pub members: BTreeMap<UserId, MemberState>,
}

impl RoomState {
    pub fn member(&self, user: &UserId) -> Option<&MemberState> {
        self.members.get(user).filter(|m| m.joined)
    }

    pub fn joined(&self) -> impl Iterator<Item = (&UserId, &MemberState)> {
        self.members.iter().filter(|(_, m)| m.joined)
    }

    pub fn joined_count(&self) -> usize {
        self.joined().count()
    }

    /// Who takes over when the owner leaves: the longest-standing admin, else the
    /// longest-standing member.
    pub fn successor(&self, leaving: &UserId) -> Option<UserId> {
        self.joined()
            .filter(|(user, _)| *user != leaving)
            .max_by(|(a_user, a), (b_user, b)| {
                (
                    a.role,
                    std::cmp::Reverse(a.joined_seq),
                    std::cmp::Reverse(*a_user),
                )
                    .cmp(&(
                        b.role,
                        std::cmp::Reverse(b.joined_seq),
                        std::cmp::Reverse(*b_user),
                    ))
            })
            .map(|(user, _)| user.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role, joined_seq: i64) -> MemberState {
        MemberState {
            role,
            joined: true,
            joined_at: 0,
            joined_seq,
            muted: false,
        }
    }

    #[test]
    fn successor_prefers_admins_then_seniority() {
        let user = |n: &str| UserId::parse(&format!("@{n}:example.org")).unwrap();
        let mut state = RoomState {
            kind: RoomKind::Group,
            last_seq: 5,
            deleted: false,
            members: BTreeMap::new(),
        };
        state.members.insert(user("owner"), member(Role::Owner, 1));
        state.members.insert(user("old"), member(Role::Member, 2));
        state.members.insert(user("young"), member(Role::Member, 4));
        assert_eq!(state.successor(&user("owner")), Some(user("old")));
        state.members.insert(user("admin"), member(Role::Admin, 5));
        assert_eq!(state.successor(&user("owner")), Some(user("admin")));
    }
}
