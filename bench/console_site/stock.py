"""The stock Django ModelAdmin for conversation_log, as the framework gives it
(filters, search and date hierarchy declared, nothing tuned), on its own
AdminSite, to compare the console's log browser against on the same table."""

from __future__ import annotations

from django.contrib import admin

from conversations.models import ConversationLog

site = admin.AdminSite(name="stock")


@admin.register(ConversationLog, site=site)
class StockConversationLogAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "robeing", "channel_id", "message", "intent", "confidence")
    list_filter = ("robeing", "channel_type", "intent")
    search_fields = ("message", "response")
    date_hierarchy = "timestamp"
    list_per_page = 50  # the console's page size: the same rows per page
