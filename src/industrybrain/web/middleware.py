from django.middleware.locale import LocaleMiddleware


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise (language cookie or session), whatever the browser says.

    Officials' browsers are often set to English by the IT department; the platform's official terms
    must still appear in Chinese until someone picks English with the switch.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
