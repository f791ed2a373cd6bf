"""Every admin page an administrator can reach opens (list_display, filters, forms are sound)."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_registered_admin_list_and_add_page_opens(make):
    make.ticket(subject="Admin smoke")
    client = Client()
    client.force_login(make.agent("root", role="admin").user)
    for model in admin.site._registry:
        meta = model._meta
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, f"{meta.label} list: {changelist.status_code}"
        add = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        # Read-only records (tickets, clocks, escalation records) refuse adding by hand.
        assert add.status_code in (200, 403), f"{meta.label} add: {add.status_code}"
