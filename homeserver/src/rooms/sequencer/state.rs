//! What the sequencer keeps in memory per room to decide on actions without reading the
//! database: kind, last sequence number, members and their roles. The lists of joined and
//! muted members are kept ready, shared with every event committed until they change, so
//! that fan-out of a message copies no member list.

use std::collections::BTreeMap;
use std::sync::Arc;

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
    members: BTreeMap<UserId, MemberState>,
    /// The joined members, in `members` order.
    joined: Arc<[UserId]>,
    /// The joined members who muted the room.
    muted: Arc<[UserId]>,
}

impl RoomState {
    pub fn new(
        kind: RoomKind,
        last_seq: i64,
        deleted: bool,
        members: BTreeMap<UserId, MemberState>,
    ) -> Self {
        let mut state = Self {
            kind,
            last_seq,
            deleted,
            members,
            joined: Arc::from([]),
            muted: Arc::from([]),
        };
        state.members_changed();
        state
    }

    /// A joined member.
    pub fn member(&self, user: &UserId) -> Option<&MemberState> {
        self.members.get(user).filter(|m| m.joined)
    }

    /// Whether `user` was ever a member (joined now or not).
    pub fn ever_member(&self, user: &UserId) -> bool {
        self.members.contains_key(user)
    }

    pub fn joined(&self) -> impl Iterator<Item = (&UserId, &MemberState)> {
        self.members.iter().filter(|(_, m)| m.joined)
    }

    /// The joined members' ids, shared.
    pub fn joined_ids(&self) -> &Arc<[UserId]> {
        &self.joined
    }

    /// The ids of joined members who muted the room, shared.
    pub fn muted_ids(&self) -> &Arc<[UserId]> {
        &self.muted
    }

    pub fn joined_count(&self) -> usize {
        self.joined.len()
    }

    /// Adds `user` as a joined member (again, if they had left).
    pub fn join(&mut self, user: UserId, member: MemberState) {
        self.members.insert(user, member);
        self.members_changed();
    }

    /// Marks `user` as no longer joined.
    pub fn leave(&mut self, user: &UserId) {
        if let Some(member) = self.members.get_mut(user) {
            member.joined = false;
        }
        self.members_changed();
    }

    pub fn set_role(&mut self, user: &UserId, role: Role) {
        if let Some(member) = self.members.get_mut(user) {
            member.role = role;
        }
    }

    pub fn set_muted(&mut self, user: &UserId, muted: bool) {
        if let Some(member) = self.members.get_mut(user) {
            member.muted = muted;
        }
        self.members_changed();
    }

    fn members_changed(&mut self) {
        self.joined = self.joined().map(|(user, _)| user.clone()).collect();
        self.muted = self
            .joined()
            .filter(|(_, m)| m.muted)
            .map(|(user, _)| user.clone())
            .collect();
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

    fn user(n: &str) -> UserId {
        UserId::parse(&format!("@{n}:example.org")).unwrap()
    }

    #[test]
    fn successor_prefers_admins_then_seniority() {
        let mut state = RoomState::new(RoomKind::Group, 5, false, BTreeMap::new());
        state.join(user("owner"), member(Role::Owner, 1));
        state.join(user("old"), member(Role::Member, 2));
        state.join(user("young"), member(Role::Member, 4));
        assert_eq!(state.successor(&user("owner")), Some(user("old")));
        state.join(user("admin"), member(Role::Admin, 5));
        assert_eq!(state.successor(&user("owner")), Some(user("admin")));
    }

    #[test]
    fn member_lists_follow_joins_leaves_and_mutes() {
        let mut state = RoomState::new(RoomKind::Group, 0, false, BTreeMap::new());
        state.join(user("a"), member(Role::Owner, 1));
        state.join(user("b"), member(Role::Member, 2));
        let before = state.joined_ids().clone();
        state.set_role(&user("b"), Role::Admin);
        assert!(
            Arc::ptr_eq(&before, state.joined_ids()),
            "a role change keeps the list"
        );
        state.set_muted(&user("b"), true);
        assert_eq!(state.muted_ids()[..], [user("b")]);
        state.leave(&user("b"));
        assert_eq!(state.joined_ids()[..], [user("a")]);
        assert!(state.muted_ids().is_empty());
        assert!(state.ever_member(&user("b")) && state.member(&user("b")).is_none());
    }
}
