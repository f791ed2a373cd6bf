from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "escalade.accounts"
    label = "accounts"
    verbose_name = "Accounts"
