//! Rooms: creating chats and groups, members and settings, messages and history.

mod add_member;
mod create_group;
mod delete_chat_for_me;
mod delete_group;
mod delete_message;
mod edit_message;
mod get_receipts;
mod get_room;
mod hide_message;
mod leave_room;
mod list_messages;
mod list_rooms;
mod mark_read;
mod mute_room;
mod open_direct;
mod react;
mod remove_member;
mod send_message;
mod set_member_role;
pub mod types;
mod update_room;

/// Every rooms operation; `Api::default()` builds it. (Tuples of at most 12: nested by topic.)
pub type Api = (
    (
        create_group::Api,
        open_direct::Api,
        list_rooms::Api,
        get_room::Api,
        update_room::Api,
        delete_group::Api,
    ),
    (
        add_member::Api,
        remove_member::Api,
        set_member_role::Api,
        leave_room::Api,
        delete_chat_for_me::Api,
        mute_room::Api,
    ),
    (
        send_message::Api,
        edit_message::Api,
        delete_message::Api,
        react::Api,
        hide_message::Api,
        list_messages::Api,
    ),
    (mark_read::Api, get_receipts::Api),
);
