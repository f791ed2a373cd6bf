from django.core.management.base import BaseCommand

from escalade.workspace.default_macros import load_default_macros


class Command(BaseCommand):
    help = "Add the starter canned replies (shared macros in six languages) that are missing."

    def handle(self, *args, **options) -> None:
        added = load_default_macros()
        self.stdout.write(f"{added} macros added")
