"""A group-chat robot's webhook (DingTalk or WeCom custom robot): where the alert notifier posts."""
